"""Leads from advertisers: one per email address, ever, with the earlier correspondence attached."""
