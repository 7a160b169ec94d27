"""Payments portal: invoices with a signed payment link, card payments through the bank's processor,
every attempt recorded and sent to the CRM, receipts.

Modules by what they do:
  money, brands, states      rules without I/O (amounts, accepted card brands, the invoice's states)
  models                     request, response, entity and stored shapes
  settings                   the environment each part needs
  repository                 PaymentsTable (invoices, attempts, the CC Payments report's index)
  processor, bank_api        the processor interface; the bank's HTTPS API client (webhook signatures too)
  invoices, report           what the CRM does: upsert an invoice, read it, the CC Payments report
  checkout                   paying: start an attempt, charge once, settle, reconcile, webhooks
  receipts, notifications    the receipt PDF in S3 and the receipt email
  links, pages               the signed payment and receipt links; the customer's pages
"""
