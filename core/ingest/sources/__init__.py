"""Where usage objects come from: a local folder or an S3 prefix, behind one interface."""
