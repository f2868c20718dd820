"""Billing: pricing, rating a month, invoices (document, text and CSV), month close.

Entry points: pricing.charge, rating, invoices.build_invoice, format.invoice_table,
month_close, top_customers.
"""
