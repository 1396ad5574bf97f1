"""Clients, projects, the timer and the week of work entries, by mouse and keyboard."""

import re
import uuid
from urllib.parse import urlsplit

from playwright.async_api import Page, expect


async def add_client(page: Page, name: str = "Acme s.r.o.", rate: str = "1200") -> str:
    """A client through its form; returns the client page's path."""
    await page.goto("/clients/new")
    await page.locator("#f-name").fill(name)
    await page.locator("#f-email").fill("billing@acme.example")
    await page.locator("#f-country").select_option("CZ")
    await page.locator("#f-currency").select_option("CZK")
    await page.locator("#f-hourly_rate").fill(rate)
    await page.locator("#f-hourly_rate").press("Enter")
    await expect(page.locator("h1")).to_have_text(name)
    return urlsplit(page.url).path


async def add_project(page: Page, name: str, rate: str | None = None) -> None:
    """A project on the client page that is open."""
    await page.locator("#f-p_name").fill(name)
    if rate is not None:
        await page.locator("#f-p_hourly_rate").fill(rate)
    await page.get_by_role("button", name="Add project").click()
    await expect(page.locator("#projects").get_by_role("link", name=name)).to_be_visible()


async def csrf_headers(page: Page) -> dict[str, str]:
    cookies = await page.context.cookies()
    token = next(c["value"] for c in cookies if c["name"] == "kasa_csrf")
    return {"X-CSRF-Token": token}


async def test_clients_and_projects_are_created_edited_and_kept_to_their_workspace(
    page: Page, web
) -> None:
    await web.sign_up(page)
    await page.get_by_role("link", name="Clients", exact=True).click()
    await expect(page.get_by_role("heading", name="No clients yet")).to_be_visible()
    await web.assert_accessible(page)

    # A refused client keeps what was typed and says what is wrong next to the field.
    await page.get_by_role("button", name="New client").first.click()
    await page.locator("#f-name").fill("Globex GmbH")
    await page.locator("#f-email").fill("not an email")
    await page.locator("#f-currency").select_option("EUR")
    await page.locator("#f-payment_terms_days").fill("thirty")
    await page.get_by_role("button", name="Create client").click()
    await expect(page.locator("#e-email")).to_have_text("This value is not in the expected format.")
    await expect(page.locator("#e-payment_terms_days")).to_have_text("Enter a whole number.")
    await expect(page.locator("#f-email")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#f-name")).to_have_value("Globex GmbH")
    await expect(page.locator("#f-currency")).to_have_value("EUR")
    await web.assert_accessible(page)
    await web.shot(page, "client-new-errors")
    await page.locator("#f-email").fill("ap@globex.example")
    await page.locator("#f-payment_terms_days").fill("30")
    await page.locator("#f-vat_id").fill("DE123456789")
    await page.locator("#f-hourly_rate").fill("95,50")
    await page.locator("#f-vat_id").press("Enter")
    await expect(page.locator("h1")).to_have_text("Globex GmbH")
    await expect(page.get_by_role("status")).to_have_text("Client created.")
    client_path = urlsplit(page.url).path

    # Projects: one at the client's rate, one at its own.
    await add_project(page, "Support")
    await expect(page.locator("#projects")).to_contain_text("€95.50")
    await expect(page.locator("#projects")).to_contain_text("client's rate")
    await add_project(page, "Website relaunch", "120")
    await expect(page.locator("#projects")).to_contain_text("€120.00")
    # A refused project keeps its values too.
    await page.locator("#f-p_name").fill("Audit")
    await page.locator("#f-p_hourly_rate").fill("lots")
    await page.get_by_role("button", name="Add project").click()
    await expect(page.locator("#e-p_hourly_rate")).to_have_text(
        "Enter an amount, for example 1200 or 1200.50."
    )
    await expect(page.locator("#f-p_name")).to_have_value("Audit")
    await web.assert_accessible(page)
    await web.shot(page, "client-page")
    await page.emulate_media(color_scheme="dark")
    await page.wait_for_timeout(500)  # Pico's colour transitions
    await web.shot(page, "client-page-dark")
    await web.assert_accessible(page)
    await page.emulate_media(color_scheme="light")

    # Edit the client, then a project.
    await page.goto(client_path)
    await page.locator("#f-address").fill("Hauptstraße 1\n10115 Berlin")
    await page.locator("#f-country").select_option("DE")
    await page.get_by_role("button", name="Save client").click()
    await expect(page.get_by_role("status")).to_have_text("Saved.")
    await expect(page.locator("#f-country")).to_have_value("DE")
    await page.locator("#projects").get_by_role("link", name="Website relaunch").click()
    await expect(page.locator("h1")).to_have_text("Website relaunch")
    await web.assert_accessible(page)
    await page.locator("#f-hourly_rate").fill("130")
    await page.locator("#f-active").uncheck()
    await page.get_by_role("button", name="Save project").click()
    await expect(page.get_by_role("status")).to_have_text("Saved.")
    await expect(page.locator("hgroup")).to_contain_text("€130.00 per hour")
    await expect(page.locator("hgroup")).to_contain_text("archived")
    project_path = urlsplit(page.url).path

    await page.goto("/clients")
    row = page.get_by_role("row", name=re.compile("Globex GmbH"))
    await expect(row).to_contain_text("€95.50")
    await expect(row).to_contain_text("2")
    await web.assert_accessible(page)

    # Another workspace sees neither the client nor its project.
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url("/sign-in")
    await web.sign_up(page, name="Petr Svoboda", workspace="Svoboda")
    for path in (client_path, project_path, f"/clients/{uuid.uuid4()}"):
        response = await page.goto(path)
        assert response is not None and response.status == 404
        await expect(page.locator("h1")).to_have_text("Page not found")


async def test_the_timer_runs_across_reloads_and_tabs_and_stops_into_the_week(
    page: Page, web
) -> None:
    await web.sign_up(page)
    await add_client(page)
    await add_project(page, "Website", "1500")
    await add_project(page, "Hosting")

    await page.get_by_role("link", name="Time", exact=True).click()
    await expect(page.locator("h1")).to_have_text("Time")
    timer = page.locator("#timer")
    await timer.get_by_label("Description").fill("Homepage layout")
    await timer.get_by_role("combobox", name="Project").select_option(label="Website")
    await timer.get_by_role("button", name="Start timer").click()
    await expect(timer.get_by_role("button", name="Stop timer")).to_be_visible()
    await expect(timer).to_contain_text("Homepage layout")
    await expect(timer.locator("[data-started-at]")).to_have_text(re.compile(r"^0:00:\d\d$"))
    await web.assert_accessible(page)
    await web.shot(page, "time-timer-running")

    await page.reload()
    await expect(timer).to_contain_text("Homepage layout")
    await expect(timer.get_by_role("button", name="Stop timer")).to_be_visible()
    second = await page.context.new_page()
    await second.goto("/time")
    await expect(second.locator("#timer")).to_contain_text("Homepage layout")
    await expect(second.locator("#timer")).to_contain_text("Website")

    # Switching stops this one into the week and starts the next.
    await timer.get_by_text("Switch to another project").click()
    await timer.get_by_label("Description").fill("Server update")
    await timer.get_by_role("combobox", name="Project").select_option(label="Hosting")
    await timer.get_by_role("button", name="Switch", exact=True).click()
    await expect(timer).to_contain_text("Server update")
    week = page.locator("#week")
    await expect(week.get_by_role("row", name=re.compile("Homepage layout"))).to_contain_text(
        "0:01"
    )

    await timer.get_by_role("button", name="Stop timer").click()
    await expect(timer.get_by_role("button", name="Start timer")).to_be_visible()
    await expect(week.get_by_role("row", name=re.compile("Server update"))).to_contain_text("0:01")
    await expect(week.locator("tfoot")).to_contain_text("0:02")
    # Website bills 1 minute at 1500 an hour.
    await expect(week.get_by_role("row", name=re.compile("Homepage layout"))).to_contain_text(
        "CZK\xa025.00"
    )

    await page.get_by_role("button", name="Previous week").click()
    await expect(page).to_have_url(re.compile(r"/time\?week=\d{4}-W\d\d$"))
    await expect(page.locator("#week")).to_contain_text("No time recorded this week.")
    await page.get_by_role("button", name="This week").click()
    await expect(page.locator("#week")).to_contain_text("Server update")

    # The other tab catches up when it is looked at again.
    await second.reload()
    await expect(second.locator("#timer").get_by_role("button", name="Start timer")).to_be_visible()
    await second.close()


async def test_entries_by_hand_are_edited_deleted_and_locked_once_invoiced(page: Page, web) -> None:
    await web.sign_up(page)
    client_path = await add_client(page, rate="1000")
    client_id = client_path.rsplit("/", 1)[1]
    await add_project(page, "Website", "1500")
    await page.goto("/time?week=2026-W10")
    await expect(page.locator(".week-label")).to_contain_text("Mar")
    await expect(page.locator("#week")).to_contain_text("No time recorded this week.")

    # A duration the page cannot read: an error beside the field, every value kept.
    form = page.locator("form.entry-form")
    await form.get_by_label("Description").fill("Design review")
    await form.get_by_role("combobox", name="Project").select_option(label="Website")
    await form.get_by_role("textbox", name="Date").fill("2026-03-03")
    await form.get_by_role("textbox", name="Duration").fill("an hour or so")
    await form.get_by_role("button", name="Add entry").click()
    await expect(page.locator("#e-duration")).to_have_text(
        "Enter minutes (90) or hours and minutes (1:30)."
    )
    await expect(form.get_by_label("Description")).to_have_value("Design review")
    await expect(form.get_by_role("textbox", name="Date")).to_have_value("2026-03-03")
    await web.assert_accessible(page)

    await form.get_by_role("textbox", name="Duration").fill("1:30")
    await form.get_by_role("textbox", name="Duration").press("Enter")
    await expect(page.get_by_role("status")).to_have_text("Entry added.")
    await expect(page).to_have_url(re.compile(r"week=2026-W10"))
    week = page.locator("#week")
    review = week.get_by_role("row", name=re.compile("Design review"))
    await expect(review).to_contain_text("1:30")
    await expect(review).to_contain_text("CZK\xa02,250.00")

    # A fixed amount, by keyboard.
    await page.get_by_text("Add an entry").click()
    await form.get_by_label("Fixed amount").check()
    await expect(form.get_by_role("textbox", name="Duration")).to_be_hidden()
    await form.get_by_label("Description").fill("Domain renewal")
    await form.get_by_role("combobox", name="Project").select_option(label="Website")
    await form.get_by_role("textbox", name="Date").fill("2026-03-05")
    await form.get_by_role("textbox", name="Amount").fill("450")
    await form.get_by_label("Billable").press("Enter")
    await expect(page.get_by_role("status")).to_have_text("Entry added.")
    renewal = week.get_by_role("row", name=re.compile("Domain renewal"))
    await expect(renewal).to_contain_text("CZK\xa0450.00")
    await expect(renewal).to_contain_text("fixed amount")
    await expect(week.locator("tfoot")).to_contain_text("CZK\xa02,700.00")
    await expect(week.locator(".week-totals")).to_contain_text("1:30")
    await web.assert_accessible(page)

    # Edit: a validation error first, then the change.
    await review.get_by_role("button", name=re.compile("^Edit")).click()
    await expect(page.locator("h1")).to_have_text("Edit entry")
    await web.assert_accessible(page)
    await page.get_by_role("textbox", name="Duration").fill("30:00")
    await page.get_by_role("button", name="Save entry").click()
    await expect(page.locator("#e-duration")).to_have_text("Enter between 1 minute and 24 hours.")
    await expect(page.get_by_label("Description")).to_have_value("Design review")
    await web.assert_accessible(page)
    await web.shot(page, "time-entry-errors")
    await page.get_by_role("textbox", name="Duration").fill("2:15")
    await page.get_by_label("Description").fill("Design review with the client")
    await page.get_by_role("button", name="Save entry").click()
    await expect(page.get_by_role("status")).to_have_text("Entry saved.")
    review = week.get_by_role("row", name=re.compile("Design review with the client"))
    await expect(review).to_contain_text("2:15")
    await expect(review).to_contain_text("CZK\xa03,375.00")

    # Delete the fixed amount.
    await renewal.get_by_role("button", name=re.compile("^Edit")).click()
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Delete entry").click()
    await expect(page.get_by_role("status")).to_have_text("Entry deleted.")
    await expect(week).not_to_contain_text("Domain renewal")

    # The entry goes on an invoice (through the API) while its edit page is open: the save
    # is refused in words, and from then on the entry shows locked, with its invoice.
    entry_id = (await review.get_attribute("id") or "").removeprefix("entry-")
    await review.get_by_role("button", name=re.compile("^Edit")).click()
    await expect(page.locator("h1")).to_have_text("Edit entry")
    headers = await csrf_headers(page)
    supplier = await page.request.put(
        "/api/v1/supplier",
        headers=headers,
        data={"name": "Jana Nováková", "iban": "CZ65 0800 0000 1920 0014 5399"},
    )
    assert supplier.ok, await supplier.text()
    answer = await page.request.post(
        "/api/v1/invoices",
        headers=headers,
        data={"client_id": client_id, "work_entry_ids": [entry_id]},
    )
    assert answer.ok, await answer.text()
    invoice_id = (await answer.json())["id"]
    await page.get_by_role("textbox", name="Duration").fill("3:00")
    await page.get_by_role("button", name="Save entry").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "This entry is on an invoice, so it can no longer be changed or deleted."
    )
    await expect(page.get_by_role("button", name="Save entry")).to_have_count(0)
    await page.get_by_role("link", name="Back to the week").click()
    await expect(page).to_have_url(re.compile(r"week=2026-W10"))
    badge = review.get_by_role("link", name="On a draft invoice")
    await expect(badge).to_have_attribute("href", f"/invoices/{invoice_id}")
    await expect(review.get_by_role("button", name=re.compile("^Edit"))).to_have_count(0)
    await web.shot(page, "time-week")
    await page.emulate_media(color_scheme="dark")
    await page.wait_for_timeout(500)  # Pico's colour transitions
    await web.shot(page, "time-week-dark")
    await web.assert_accessible(page)
    await page.emulate_media(color_scheme="light")

    await page.goto(f"/time/entries/{entry_id}")
    await expect(page.locator(".locked-note")).to_be_visible()
    await expect(page.get_by_role("button", name="Save entry")).to_have_count(0)
    await web.assert_accessible(page)

    # Someone else's entry, or none: the 404 page.
    response = await page.goto(f"/time/entries/{uuid.uuid4()}")
    assert response is not None and response.status == 404


async def test_the_time_and_client_pages_speak_czech(page: Page, web, base_url) -> None:
    await web.sign_up(page)
    await page.context.add_cookies([{"name": "kasa_lang", "value": "cs", "url": base_url}])
    await add_client(page, rate="1000")
    await page.locator("#f-p_name").fill("Web")
    await page.get_by_role("button", name="Přidat projekt").click()
    await expect(page.get_by_role("status")).to_have_text("Projekt přidán.")
    await expect(page.locator("#projects")).to_contain_text("sazba klienta")

    await page.goto("/time?week=2026-W10")
    await expect(page.locator("h1")).to_have_text("Čas")
    await expect(page.locator(".week-label")).to_have_text("2.\u20138. 3. 2026")
    form = page.locator("form.entry-form")
    await form.get_by_role("combobox", name="Projekt").select_option(label="Web")
    await form.get_by_role("textbox", name="Datum").fill("2026-03-03")
    await form.get_by_role("textbox", name="Trvání").fill("1,5")
    await form.get_by_role("button", name="Přidat záznam").click()
    await expect(page.get_by_role("status")).to_have_text("Záznam přidán.")
    await expect(page.locator("#week tfoot")).to_contain_text("1\xa0500,00\xa0Kč")
    await expect(page.locator("#week")).to_contain_text("úterý 3. března")
    await web.assert_accessible(page)
    await web.shot(page, "time-week-cs")
    await page.set_viewport_size({"width": 360, "height": 800})
    await web.shot(page, "time-week-narrow")
    await web.assert_accessible(page)


async def test_a_viewer_sees_clients_and_time_but_no_control_to_change_them(
    page: Page, web, system
) -> None:
    viewer_email = await web.sign_up(page, name="Věra Divačka", workspace="Divačka")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url("/sign-in")
    owner_email = await web.sign_up(page)
    await web.verify_address(page, system, owner_email)  # inviting needs a proven address
    client_path = await add_client(page)
    await add_project(page, "Website", "1500")
    project_path = (
        await page.locator("#projects").get_by_role("link", name="Website").get_attribute("href")
    )
    await page.goto("/time?week=2026-W10")
    form = page.locator("form.entry-form")
    await form.get_by_label("Description").fill("Kick-off")
    await form.get_by_role("combobox", name="Project").select_option(label="Website")
    await form.get_by_role("textbox", name="Date").fill("2026-03-02")
    await form.get_by_role("textbox", name="Duration").fill("45")
    await form.get_by_role("button", name="Add entry").click()
    entry_href = await page.locator("#week a[href^='/time/entries/']").first.get_attribute("href")
    invited = await page.request.post(
        "/api/v1/invitations",
        headers=await csrf_headers(page),
        data={"email": viewer_email, "role": "viewer"},
    )
    assert invited.ok, await invited.text()
    token = (await invited.json())["token"]
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url("/sign-in")

    await page.locator("#f-email").fill(viewer_email)
    await page.locator("#f-password").fill(web.password)
    await page.locator("#f-password").press("Enter")
    await expect(page.locator("body[data-signed-in]")).to_have_count(1)
    accepted = await page.request.post(
        "/api/v1/invitations/accept", headers=await csrf_headers(page), data={"token": token}
    )
    assert accepted.ok, await accepted.text()
    switched = await page.request.put(
        "/api/v1/auth/session/workspace",
        headers=await csrf_headers(page),
        data={"workspace_id": (await accepted.json())["workspace_id"]},
    )
    assert switched.ok, await switched.text()

    await page.goto("/clients")
    await expect(page.get_by_role("link", name="Acme s.r.o.")).to_be_visible()
    await expect(page.get_by_role("button", name="New client")).to_have_count(0)
    await page.goto(client_path)
    await expect(page.locator("h1")).to_have_text("Acme s.r.o.")
    await expect(page.locator("main form")).to_have_count(0)
    await expect(page.locator("main")).to_contain_text("billing@acme.example")
    await web.assert_accessible(page)
    await page.goto(project_path or "/")
    await expect(page.locator("main form")).to_have_count(0)
    await page.goto("/time?week=2026-W10")
    await expect(page.locator("#week")).to_contain_text("Kick-off")
    await expect(page.locator("main form")).to_have_count(0)
    await expect(
        page.locator("#week").get_by_role("button", name=re.compile("^Edit"))
    ).to_have_count(0)
    await expect(page.locator("#timer")).to_contain_text("No timer is running.")
    await web.assert_accessible(page)
    await page.goto(entry_href or "/")
    await expect(page.locator("h1")).to_have_text("Work entry")
    await expect(page.locator("main form")).to_have_count(0)
