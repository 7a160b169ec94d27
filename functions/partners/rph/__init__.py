"""RPHs sent to us by partners (the shared intake form, portal_common.intake)."""
