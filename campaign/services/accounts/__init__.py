"""Accounts: users, passwords, invitations, onboarding, notifications and the audit viewer."""
