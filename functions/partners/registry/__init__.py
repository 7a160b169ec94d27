"""Partners and their ZIP codes: one partner per ZIP, one ZIP per partner (the CRM registers them)."""
