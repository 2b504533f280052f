def post_init_hook(env):
    """Companies that existed before the add-on get the settings a new company gets."""
    env["res.company"].with_context(active_test=False).search([])._pbd_init_company_settings()
    # The Stripe log menu shows once a Stripe provider is enabled.
    env["payment.provider"]._pbd_sync_stripe_log_menu()
