"""Metering and accounting: what each finished request billed, and fal's usage, analytics,
billing-event and FOCUS reports over that ledger."""
