"""Customers: finding one by any of its names, the contract in force, Salesforce sync.

Entry points: lookup.find_customer / contract_at (the contract in force), sync.sync_customers,
salesforce (the simple-salesforce adapter).
"""
