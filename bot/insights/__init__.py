"""Looking ahead for managers (issue 13): forecasts of hour blocks, SLA error budgets and
fair use (`forecast`, pure), the alerts and the weekly digest built on them, and the
customers at risk."""
