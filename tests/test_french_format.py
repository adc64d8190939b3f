"""Numbers, money and elisions are written the French way everywhere (one filter, one module)."""

from decimal import Decimal

from django.template import Context, Template

from ganapati.formats import de, euros, number_fr

NNBSP = "\u202f"


def test_money_is_written_with_a_narrow_space_for_thousands_and_a_comma():
    assert euros(Decimal("1785")) == f"1{NNBSP}785,00 €"
    assert euros("1234567.5") == f"1{NNBSP}234{NNBSP}567,50 €"
    assert euros(Decimal("-3")) == "-3,00 €"
    assert euros(None) == "—"


def test_plain_numbers_keep_their_decimals_only_when_they_have_some():
    assert number_fr(1700) == f"1{NNBSP}700"
    assert number_fr(Decimal("13.50")) == "13,5"
    assert number_fr(Decimal("20"), 2) == "20,00"


def test_de_is_elided_before_a_vowel():
    assert de("Acme") == "d'Acme"
    assert de("OPCO ATLAS") == "d'OPCO ATLAS"
    assert de("Constructys") == "de Constructys"
    assert de("Hainaut Formation") == "de Hainaut Formation"


def test_every_template_has_the_filters_without_loading_them():
    rendered = Template("{{ a|euros }} pour l'espace {{ b|de }} ({{ c|nombre }} %)").render(
        Context({"a": Decimal("1700"), "b": "Acme", "c": Decimal("12.5")})
    )
    assert rendered == f"1{NNBSP}700,00 € pour l'espace d&#x27;Acme (12,5 %)"
