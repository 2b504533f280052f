"""Late-payment penalty arithmetic (plain Python), to the cent."""

from datetime import date
from decimal import Decimal

from odoo.tests import BaseCase, tagged

from ..lib import penalties


@tagged("post_install", "-at_install")
class TestPenalties(BaseCase):
    def test_rate_is_ecb_plus_ten_points(self):
        self.assertEqual(penalties.annual_rate(2.15), Decimal("12.15"))
        self.assertEqual(penalties.annual_rate("4.5", 10), Decimal("14.5"))

    def test_interest_per_day_late_to_the_cent(self):
        # 1 000 € at 12.15 % for 30 days: 9.9863… -> 9.99
        self.assertEqual(penalties.late_interest(1000, "12.15", 30), Decimal("9.99"))
        # 2 543.17 € at 12.15 % for 47 days: 39.7884… -> 39.79
        self.assertEqual(penalties.late_interest("2543.17", "12.15", 47), Decimal("39.79"))
        # half-up at the cent: 365 € at 10 % for 1 day is exactly 0.10
        self.assertEqual(penalties.late_interest(365, 10, 1), Decimal("0.10"))
        self.assertEqual(penalties.late_interest(1000, "12.15", 0), Decimal("0.00"))
        self.assertEqual(penalties.late_interest(-5, "12.15", 10), Decimal("0.00"))

    def test_days_late_counts_from_the_day_after_due_date(self):
        self.assertEqual(penalties.days_late(date(2026, 11, 10), date(2026, 11, 10)), 0)
        self.assertEqual(penalties.days_late(date(2026, 11, 10), date(2026, 11, 11)), 1)
        self.assertEqual(penalties.days_late(date(2026, 11, 10), date(2026, 11, 1)), 0)

    def test_invoice_penalty_professional_and_consumer(self):
        pro = penalties.invoice_penalty(1000, date(2026, 10, 1), date(2026, 10, 31), "12.15")
        self.assertEqual(
            (pro.days_late, pro.interest, pro.flat_fee, pro.total),
            (30, Decimal("9.99"), Decimal("40.00"), Decimal("49.99")),
        )
        consumer = penalties.invoice_penalty(
            1000, date(2026, 10, 1), date(2026, 10, 31), "12.15", professional=False
        )
        self.assertEqual((consumer.interest, consumer.flat_fee), (Decimal("0.00"), Decimal("0.00")))
        on_time = penalties.invoice_penalty(1000, date(2026, 10, 1), date(2026, 10, 1), "12.15")
        self.assertEqual(on_time.total, Decimal("0.00"), "no flat fee before the due date is passed")

    def test_half_year(self):
        self.assertEqual(penalties.half_year(date(2026, 6, 30)), "2026-H1")
        self.assertEqual(penalties.half_year(date(2026, 7, 1)), "2026-H2")
        self.assertEqual(penalties.parse_half_year("2026-H2"), (2026, 2))
        self.assertEqual(penalties.parse_half_year(" 2026 s1 "), (2026, 1))
        self.assertIsNone(penalties.parse_half_year("second half"))

    def test_claim_shows_each_part_of_the_sum(self):
        claim = penalties.claim([(1000, "19.97", 40), ("250.50", "3.10", 40)])
        self.assertEqual(
            (claim.principal, claim.interest, claim.flat_fees, claim.late_count),
            (Decimal("1250.50"), Decimal("23.07"), Decimal("80.00"), 2),
        )
        self.assertEqual(claim.penalties, Decimal("103.07"))
        self.assertEqual(claim.total, Decimal("1353.57"))
        self.assertEqual(penalties.claim([]).total, Decimal("0.00"))
