from admit.clients.rules import NO_KEYS, ReservationKeys, buyer_of_customer, buyer_of_staff


def test_a_buyer_with_a_client_or_a_group_has_keys_the_public_none() -> None:
    assert ReservationKeys(frozenset({1}))
    assert ReservationKeys(groups=frozenset({7}))
    assert not NO_KEYS
    assert not ReservationKeys()


def test_buyers_are_named_as_holds_name_them() -> None:
    assert (buyer_of_customer(5), buyer_of_staff(5)) == ("customer:5", "staff:5")
