"""Staff console pages, one module per area: sign-in, queue, tickets, phone intake, inbox."""
