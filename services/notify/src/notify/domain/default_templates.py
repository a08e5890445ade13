"""The plain-English templates shipped for every flow (version 1 of each; the API adds versions).

Each names the case reference and links to the resident's status page (signed), except the
disruption broadcast, which is about a round rather than a case.
"""

from __future__ import annotations

from notify.domain.templates import TemplateContent

_SIGN_OFF = "\n\nYou do not need to phone us: we will tell you when anything changes."


def _three(
    name: str, subject: str, email: str, sms: str, *, link: bool = True
) -> list[TemplateContent]:
    return [
        TemplateContent(name=name, channel="email", subject=subject, body=email),
        TemplateContent(name=name, channel="sms", body=sms),
        TemplateContent(
            name=name,
            channel="push",
            subject=subject,
            body=sms,
            link="((status_page_url))" if link else None,
        ),
    ]


DEFAULT_TEMPLATES: list[TemplateContent] = [
    *_three(
        "case_opened",
        "We have received your request ((reference))",
        "Hello ((first_name)),\n\nWe have received your request about a ((case_type_name)). "
        "Your reference is ((reference)).\n\nSee its progress at any time: ((status_page_url))"
        + _SIGN_OFF,
        "We have received your request about a ((case_type_name)), reference ((reference)). "
        "Progress: ((status_page_url))",
    ),
    *_three(
        "case_opened.missed_bin",
        "We have received your missed bin report ((reference))",
        "Hello ((first_name)),\n\nThank you for telling us your bin was missed. Your reference "
        "is ((reference)). We aim to return within 2 working days.\n\nSee its progress: "
        "((status_page_url))" + _SIGN_OFF,
        "Thank you for reporting your missed bin, reference ((reference)). We aim to return "
        "within 2 working days. Progress: ((status_page_url))",
    ),
    *_three(
        "case_status_changed",
        "Update on ((reference)): ((status_name))",
        "Hello ((first_name)),\n\nYour ((case_type_name)) request ((reference)) is now: "
        "((status_name)).\n\nSee the details: ((status_page_url))" + _SIGN_OFF,
        "Your ((case_type_name)) request ((reference)) is now: ((status_name)). "
        "Details: ((status_page_url))",
    ),
    *_three(
        "case_status_changed.missed_bin.return_visit_scheduled",
        "We will come back for your bin ((reference))",
        "Hello ((first_name)),\n\nWe have arranged for the crew to come back and collect your "
        "bin (reference ((reference))). Please leave it out.\n\nSee the details: "
        "((status_page_url))" + _SIGN_OFF,
        "We will come back to collect your bin, reference ((reference)). Please leave it out. "
        "Details: ((status_page_url))",
    ),
    *_three(
        "case_status_changed.missed_bin.bin_not_presented",
        "Your bin was not out for collection ((reference))",
        "Hello ((first_name)),\n\nThe crew came back but could not find your bin out for "
        "collection (reference ((reference))).\n\nSee the details: ((status_page_url))",
        "The crew came back but your bin was not out, reference ((reference)). "
        "Details: ((status_page_url))",
    ),
    *_three(
        "case_status_changed.bulky_waste.booked",
        "Your bulky waste collection is booked ((reference))",
        "Hello ((first_name)),\n\nThank you for paying. Your bulky waste collection is booked "
        "(reference ((reference))).\n\nSee the details: ((status_page_url))",
        "Thank you for paying. Your bulky waste collection is booked, reference ((reference)). "
        "Details: ((status_page_url))",
    ),
    *_three(
        "case_status_changed.planning_application",
        "Planning application ((reference)): ((status_name))",
        "Hello ((first_name)),\n\nPlanning application ((reference)) is now: ((status_name))."
        "\n\nSee the details: ((status_page_url))" + _SIGN_OFF,
        "Planning application ((reference)) is now: ((status_name)). Details: ((status_page_url))",
    ),
    *_three(
        "case_closed",
        "Your request ((reference)) is closed",
        "Hello ((first_name)),\n\nWe have closed your ((case_type_name)) request ((reference)): "
        "((outcome_name)).\n\nSee the details: ((status_page_url))",
        "We have closed your ((case_type_name)) request ((reference)): ((outcome_name)). "
        "Details: ((status_page_url))",
    ),
    *_three(
        "payment_link",
        "Pay for your booking ((reference))",
        "Hello ((first_name)),\n\nTo confirm your booking ((reference)), please pay ((amount)) "
        "by ((pay_by)):\n\n((payment_url))\n\nSee your booking: ((status_page_url))",
        "To confirm your booking ((reference)), pay ((amount)) by ((pay_by)): ((payment_url))",
    ),
    *_three(
        "payment_failed",
        "Your booking ((reference)) is not confirmed",
        "Hello ((first_name)),\n\nWe could not take your payment of ((amount)) for booking "
        "((reference)): ((failure_reason)). No money has been taken and your booking is not "
        "confirmed yet.\n\nTo pay again, open your booking and choose to pay:\n\n"
        "((status_page_url))\n\nIf you no longer want the collection, you do not need to do "
        "anything.",
        "Your booking ((reference)) is not confirmed: ((failure_reason)). No money was taken. "
        "To pay again, open your booking: ((status_page_url))",
    ),
    *_three(
        "planning_nearby",
        "Planning application near you: ((application_reference))",
        "Hello ((first_name)),\n\nA planning application has been made for a site "
        "((distance)) from your home. Its reference is ((application_reference)).\n\n"
        "You can look at the plans and comment on them until ((consultation_ends_on)) on the "
        "council's planning register: search for ((application_reference)).\n\nYou are "
        "getting this because you asked to hear about planning applications near you. You can "
        "turn these alerts off in your contact preferences.",
        "Planning application ((application_reference)) is for a site ((distance)) from your "
        "home. Comment on it until ((consultation_ends_on)) on the council's planning register.",
        link=False,
    ),
    *_three(
        "contact_change",
        "Confirm the new contact details on your council record",
        "Hello ((first_name)),\n\nSomeone gave new contact details for you when they sent us "
        "request ((reference)): your ((changes)). We have not changed anything yet.\n\nIf it "
        "was you, confirm the change by ((expires)):\n\n((confirm_url))\n\nIf it was not you, "
        "you do not need to do anything: nothing will change, and we will keep using the details "
        "we have.",
        "Someone gave a new ((changes)) for your council record with request ((reference)). If "
        "it was you, confirm by ((expires)): ((confirm_url)) If not, ignore this: nothing changes.",
        link=False,
    ),
    *_three(
        "contact_confirm",
        "Request ((reference)) received: please confirm your address",
        "Hello ((first_name)),\n\nWe have received your request ((reference)).\n\nTo get "
        "updates about it here, confirm this is your ((changes)) by ((expires)):\n\n"
        "((confirm_url))\n\nYou are getting this message because this address was given with "
        "the request. If you did not send it, you do not need to do anything: we will not "
        "contact you again about it.",
        "We have received your request ((reference)). To get updates about it by text, confirm "
        "this is your number by ((expires)): ((confirm_url)) If you did not send it, ignore this.",
        link=False,
    ),
    *_three(
        "service_disruption",
        "Bin collections disrupted on ((affected_date))",
        "Hello ((first_name)),\n\nCollections on your round on ((affected_date)) are disrupted "
        "because of ((cause_name)).\n\n((public_message))\n\nWe expect to be back to normal by "
        "((recovery_date)).",
        "Bin collections on ((affected_date)) are disrupted because of ((cause_name)). "
        "((public_message))",
        link=False,
    ),
]
