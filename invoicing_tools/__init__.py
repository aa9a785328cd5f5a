"""Developer and operator tooling: the local embedded AWS, the demo and the `invoicing` command."""
