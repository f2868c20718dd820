"""Reading one usage object: formats in bounded chunks, cleaning, validation, aggregation."""
