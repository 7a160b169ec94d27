"""Shared code of the CRM satellite portals, shipped as the common Lambda layer.

Handlers stay thin: they route (portal_common.web), call one domain function, and answer. Domain
rules live in each portal's domain module, data access in repositories, AWS clients in
portal_common.aws, settings in portal_common.settings, and error-to-HTTP mapping in
portal_common.web.errors.
"""
