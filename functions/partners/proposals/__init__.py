"""External proposals: created by the CRM, routed to the partner of their ZIP, shown once sent."""
