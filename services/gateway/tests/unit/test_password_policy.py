"""The password policy accepts the passwords the documentation and the tests use."""

import pytest

from kasa_gateway.domain.password_policy import password_problems


@pytest.mark.parametrize(
    "password", ["correct horse battery", "a long enough secret", "kasa-demo-password"]
)
def test_the_passwords_people_use_in_docs_and_tests_pass_the_policy(password):
    assert password_problems(password, "someone@example.com") == []
