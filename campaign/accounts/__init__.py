"""Accounts feature: own account, invitations, notifications, and the admin's users, onboarding,
audit log and mail pages."""
