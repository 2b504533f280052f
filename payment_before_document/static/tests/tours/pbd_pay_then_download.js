/** @odoo-module **/
/* The client follows the pay link of an email: the invoice opens with its
 * payment form already shown, the locked deliverable and its preview behind
 * it. They pay with the demo provider, land on the released documents and
 * download the file; the SHA-256 of the bytes received must equal the one
 * the server recorded at upload. */

import { registry } from "@web/core/registry";

async function sha256Hex(buffer) {
    const digest = await crypto.subtle.digest("SHA-256", buffer);
    return Array.from(new Uint8Array(digest))
        .map((byte) => byte.toString(16).padStart(2, "0"))
        .join("");
}

registry.category("web_tour.tours").add("pbd_pay_then_download", {
    steps: () => [
        {
            content: "The deliverable is shown locked",
            trigger: ".o_pbd_deliverable[data-state='locked'] .o_pbd_locked_badge",
        },
        {
            content: "No download link while locked",
            trigger: ".o_pbd_deliverables:not(:has(a.o_pbd_download))",
        },
        {
            content: "A preview of the locked PDF is offered",
            trigger: ".o_pbd_deliverable[data-state='locked'] a.o_pbd_preview[href*='/preview']",
        },
        {
            content: "The pay link opened the payment form by itself: choose the demo provider",
            trigger: "#pay_with.show input[name='o_payment_radio'][data-provider-code='demo']",
            run: "click",
        },
        {
            content: "Enter test card details",
            trigger: "#pay_with input[name='customer_input']",
            run: "edit 4242424242424242",
        },
        {
            content: "Pay",
            trigger: "#pay_with button[name='o_payment_submit_button']:not(:disabled)",
            run: "click",
        },
        {
            content: "After paying, the client lands on the documents, released",
            trigger: ".o_pbd_deliverable[data-state='released'] a.o_pbd_download",
            timeout: 30000,
            run: function () {
                if (window.location.hash !== "#pbd_deliverables") {
                    throw new Error(`landed on ${window.location.href}, not on the documents`);
                }
            },
        },
        {
            content: "Download it: the bytes are the original's",
            trigger: ".o_pbd_deliverable[data-state='released'] a.o_pbd_download",
            run: async function () {
                const row = document.querySelector(".o_pbd_deliverable[data-state='released']");
                const link = row.querySelector("a.o_pbd_download");
                const response = await fetch(link.href, { credentials: "same-origin" });
                if (response.status !== 200) {
                    throw new Error(`download answered ${response.status}`);
                }
                const received = await sha256Hex(await response.arrayBuffer());
                if (received !== row.dataset.sha256) {
                    throw new Error(`downloaded bytes differ: ${received} != ${row.dataset.sha256}`);
                }
                document.body.classList.add("o_pbd_download_verified");
            },
        },
        {
            content: "Verified",
            trigger: "body.o_pbd_download_verified",
        },
    ],
});
