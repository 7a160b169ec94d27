"""Advertisers as the CRM registers them, and their Leadworks users."""
