"""Access tokens in WebSocket URLs never reach the logs."""

import logging

from kasa_gateway.push.log_redaction import install


def test_tokens_in_socket_urls_stay_out_of_the_logs(caplog):
    install()
    secret = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln"
    with caplog.at_level(logging.INFO, logger="uvicorn.error"):
        logging.getLogger("uvicorn.error").info(
            '%s - "WebSocket %s" [accepted]', "127.0.0.1:5000", f"/api/v1/ws?token={secret}&after=1"
        )
    assert secret not in caplog.text
    assert "token=[redacted]&after=1" in caplog.text
