"""Channels other than email: Slack, Microsoft Teams, signed webhooks and Apprise URLs.

Each channel turns the same words as the email (the text templates, in the recipient's
language and timezone) into what its receiver expects, and posts it through the outbound
guard (:mod:`candor_shared.outbound`): every address checked when connecting, no redirect
followed. :mod:`.post` says how an answer counts: sent, to try again, or failed for good.
"""
