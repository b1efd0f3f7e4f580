def test_register_and_me(gql, accounts):
    token = accounts.token("ada@example.com")
    me = gql.data("{ me { email } }", token=token)["me"]
    assert me == {"email": "ada@example.com"}
