"""Workflow: what the department does about a finding — cases, their states and (next) visits,
dispositions, referrals and deadlines. Monitoring finds; workflow acts."""

__all__: list[str] = []
