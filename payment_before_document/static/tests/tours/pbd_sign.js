/** @odoo-module **/
/* Signing a released deliverable with a code received by SMS, in two tours:
 * the test reads the code from its fake Twilio transport between them and
 * gives it to the second one in the URL (pbd_test_code). */

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("pbd_sign_request_code", {
    steps: () => [
        {
            content: "The released deliverable offers a signature",
            trigger: ".o_pbd_deliverable[data-state='released'] a.o_pbd_sign",
            run: "click",
        },
        {
            content: "Name",
            trigger: "input#signer_name",
            run: "edit Claire Lefèvre",
        },
        {
            content: "The number on file is shown masked, and cannot be changed here",
            trigger: ".o_pbd_phone_on_file:contains('+33 6 •• •• •• 78')",
        },
        {
            content: "Ask for the code",
            trigger: "button.o_pbd_send_code",
            run: "click",
        },
        {
            content: "The code was sent, to a masked number",
            trigger: ".o_pbd_sign_message:contains('+33 6 •• •• •• 78')",
        },
        {
            content: "The code field is there",
            trigger: "form.o_pbd_sign_confirm_form input#code",
        },
    ],
});

registry.category("web_tour.tours").add("pbd_sign_confirm", {
    steps: () => [
        {
            content: "Type the code received by SMS",
            trigger: "form.o_pbd_sign_confirm_form input#code",
            run: function () {
                const code = new URLSearchParams(window.location.search).get("pbd_test_code");
                const input = document.querySelector("input#code");
                input.value = code;
                input.dispatchEvent(new Event("input", { bubbles: true }));
            },
        },
        {
            content: "Sign",
            trigger: "button.o_pbd_sign_button",
            run: "click",
        },
        {
            content: "Signed",
            trigger: ".o_pbd_signed",
        },
        {
            content: "The certificate can be downloaded",
            trigger: "a.o_pbd_certificate[href*='/signature/certificate']",
        },
        {
            content: "And the signed document",
            trigger: "a.o_pbd_signed_file[href*='/signature/signed']",
        },
    ],
});
