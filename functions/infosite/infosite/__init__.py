"""The Info site: nurture emails ("Nurture P2"), one-click unsubscribe and the quote form.

The CRM keeps the contacts it nurtures in ContactsTable (PUT /crm/contacts/{id}) and asks for a
nurture email by putting a send request on NurtureQueue (POST /crm/nurture-emails). The sender
(send_nurture_email.py) renders each email with two signed links: unsubscribe (function URL,
unsubscribe.py) and quote (function URL, quote_request.py). A quote request turns a prospect into a
lead and a customer into an opportunity (see infosite.quotes.record_kind).

Modules: contacts (models), contact_store (ContactsTable access), nurture (sending rule),
nurture_queue (SQS), nurture_links (signed links), unsubscribing, quotes, quote_alerts.
"""
