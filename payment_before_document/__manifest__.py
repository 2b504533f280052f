{
    "name": "Payment Before Document",
    "summary": "Deliverables unlocked on the customer portal once the invoice is paid",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/payment-before-document/payment_before_document",
    "author": "Payment Before Document developers",
    "maintainers": ["payment-before-document"],
    "license": "AGPL-3",
    "depends": ["account_payment", "portal", "sms", "phone_validation"],
    "external_dependencies": {
        "python": ["stripe", "pypdf", "phonenumbers", "twilio"],
    },
    "data": [
        "security/payment_before_document_security.xml",
        "security/ir.model.access.csv",
        "data/mail_template_data.xml",
        "data/ir_cron_data.xml",
        "report/pbd_followup_reports.xml",
        "data/pbd_followup_data.xml",
        "views/account_move_deliverable_views.xml",
        "views/account_move_deliverable_download_views.xml",
        "views/account_move_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/portal_templates.xml",
        "views/how_it_works_templates.xml",
        "views/res_partner_access_announce_views.xml",
        "views/pbd_followup_level_views.xml",
        "views/pbd_followup_history_views.xml",
        "views/pbd_followup_call_outcome_views.xml",
    ],
    "demo": [
        "demo/payment_before_document_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "payment_before_document/static/src/scss/portal.scss",
        ],
        "web.assets_tests": [
            "payment_before_document/static/tests/tours/*.js",
        ],
    },
}
