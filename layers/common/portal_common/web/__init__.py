"""HTTP plumbing shared by every portal: the resolver, pages, forms, cookies, CSRF, error answers."""
