"""Usage alerts: rules in a small language and what each measures.

Entry points: rules (parse, evaluate, post once per crossing), measures.
"""
