"""Training health: the signals a GAN run logs (`signals`), the rules that read them into a
verdict per window of steps (`rules`), the remedies for each verdict (`remedies`), and reading
a finished run's logged signals back (`history`). See docs/diagnosis.md."""
