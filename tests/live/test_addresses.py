"""The join address phones can reach: PUBLIC_URL wins; a loopback page offers LAN addresses and warns."""

import pytest

from tests.conftest import login
from workshop.live import addresses


@pytest.fixture
def workshop(make_workshop):
    return make_workshop()


def projector_page(client, workshop, host):
    return client.get(f"/live/{workshop.join_code}/screen", base_url=f"http://{host}").get_data(as_text=True)


def control_page(client, workshop, host):
    login(client, workshop.facilitators[0])
    return client.get(f"/planner/{workshop.slug}/control", base_url=f"http://{host}").get_data(as_text=True)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.0.1.1", "[::1]"])
def test_loopback_is_recognised(host):
    assert addresses.is_loopback(host)


def test_a_lan_address_is_not_loopback():
    assert not addresses.is_loopback("192.168.1.20") and not addresses.is_loopback("vote.example.org")


def test_public_url_wins(app, client, workshop):
    app.config["PUBLIC_URL"] = "https://vote.example.org/"
    page = projector_page(client, workshop, "127.0.0.1:5000")
    assert f"vote.example.org/j/{workshop.join_code}" in page
    assert 'id="join-warning"' not in control_page(client, workshop, "127.0.0.1:5000")


def test_loopback_page_offers_a_lan_address_and_control_warns(app, client, workshop):
    if not addresses.lan_addresses():  # a machine with no network: the warning says so instead
        assert "no network address was found" in control_page(client, workshop, "127.0.0.1:5000")
        return
    lan = addresses.lan_addresses()[0]
    page = projector_page(client, workshop, "127.0.0.1:5000")
    assert f"{lan}:5000/j/{workshop.join_code}" in page and "127.0.0.1:5000/j/" not in page
    warning = control_page(client, workshop, "127.0.0.1:5000")
    assert "Phones cannot reach 127.0.0.1" in warning and f"http://{lan}:5000" in warning


def test_page_opened_on_a_lan_address_keeps_it_and_does_not_warn(client, workshop):
    page = projector_page(client, workshop, "192.168.1.20:5000")
    assert f"192.168.1.20:5000/j/{workshop.join_code}" in page
    assert "Phones cannot reach" not in control_page(client, workshop, "192.168.1.20:5000")
