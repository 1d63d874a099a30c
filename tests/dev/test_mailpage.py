"""The mail catcher's page lists what arrived, newest first, and shows it escaped."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import httpx

from candor_dev.mailcatcher import MailCatcher
from candor_dev.mailpage import create_mail_app

HOSTILE = '<script>alert("x")</script>'


def page_client(mail: MailCatcher) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_mail_app(mail))
    return httpx.AsyncClient(transport=transport, base_url="http://mail.test")


def send(mail: MailCatcher, *, subject: str, text: str, html: str | None = None) -> None:
    message = EmailMessage()
    message["From"] = "Candor <candor@localhost>"
    message["To"] = "ana@example.org"
    message["Subject"] = subject
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", mail.port) as smtp:
        smtp.send_message(message)


async def test_the_list_is_newest_first_and_escaped(mail: MailCatcher) -> None:
    send(mail, subject="Older notice", text="one")
    send(mail, subject=f"Newer notice {HOSTILE}", text="two")
    async with page_client(mail) as client:
        page = await client.get("/")

    assert page.status_code == 200
    assert page.text.index("Newer notice") < page.text.index("Older notice")
    assert HOSTILE not in page.text
    assert "&lt;script&gt;" in page.text
    assert "Candor &lt;candor@localhost&gt;" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]


async def test_a_message_shows_its_text_and_its_html_in_a_sandboxed_frame(
    mail: MailCatcher,
) -> None:
    html = f'<p style="color:red">Email is down</p>{HOSTILE}<a href="x">"quoted"</a>'
    send(mail, subject="Email is down", text=f"Text part {HOSTILE}", html=html)
    async with page_client(mail) as client:
        page = await client.get("/messages/0")
        raw = await client.get("/messages/0/raw")

    assert page.status_code == 200
    assert HOSTILE not in page.text
    assert "Text part &lt;script&gt;" in page.text
    assert page.text.count("<iframe") == 1
    assert '<iframe sandbox="" ' in page.text
    srcdoc = page.text.split('srcdoc="', 1)[1].split('"', 1)[0]
    assert "&lt;p style=&#34;color:red&#34;&gt;Email is down" in srcdoc
    assert raw.headers["content-type"].startswith("text/plain")
    assert "Subject: Email is down" in raw.text


async def test_an_unknown_message_is_404(mail: MailCatcher) -> None:
    async with page_client(mail) as client:
        assert (await client.get("/messages/0")).status_code == 404
        assert (await client.get("/messages/-1")).status_code == 404
