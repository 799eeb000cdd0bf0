"""Password reset by e-mail, over a real SMTP conversation with a local server."""

import re
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.contrib.auth import authenticate
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


@pytest.fixture
def smtp_server(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    yield inbox
    controller.stop()


def test_user_resets_password_through_the_link_sent_by_smtp(smtp_server, rf):
    UserFactory(username="mei", email="mei@example.com")
    client = Client()
    response = client.post("/password-reset/", {"email": "mei@example.com"})
    assert response.status_code == 302

    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "mei@example.com"
    body = message.get_payload(decode=True).decode()
    link = re.search(r"http://testserver(/reset/\S+/)", body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    new_password = "Osmanthus tea 2026 autumn"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    assert authenticate(rf.post("/login/"), username="mei", password=new_password) is not None


def test_unknown_address_sends_nothing_and_looks_the_same(smtp_server):
    response = Client().post("/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert smtp_server.messages == []
