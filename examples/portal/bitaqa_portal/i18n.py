"""The portal's texts in English and Arabic, and the choice between them.

``ERRORS`` maps a client error ``code`` (``@bitaqa/client``'s ``error.code``) to what a resident
should read; codes not listed fall back to ``"default"``.  The page receives both tables as JSON.
"""

from __future__ import annotations

__all__ = ["ERRORS", "LANGUAGES", "TEXT", "choose_language"]

LANGUAGES = ("ar", "en")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Bitaqa example portal",
        "switch": "العربية",
        "intro": "Use your national ID card to log in, sign a document and fill a form.",
        "login": "Log in with ID card",
        "logout": "Log out",
        "logged_in_as": "Logged in as",
        "id_number": "ID number",
        "sign_title": "Sign a PDF",
        "sign_hint": "Choose a PDF or leave empty to sign our sample application form.",
        "sign": "Sign with ID card",
        "signed": "Signed. Download the signed PDF",
        "identity_title": "Read my ID card data",
        "identity_read": "Fill the form from my card",
        "name_en": "Name (English)",
        "name_ar": "Name (Arabic)",
        "nationality": "Nationality",
        "date_of_birth": "Date of birth",
        "card_number": "Card number",
        "sex": "Sex",
        "sex_m": "Male",
        "sex_f": "Female",
        "sex_x": "Unspecified",
        "date_of_issue": "Date of issue",
        "date_of_expiry": "Date of expiry",
        "employee_affiliation": "Employee affiliation",
        "organization_affiliation": "Organization affiliation",
        "agency_card_serial": "Card serial number",
        "issuer": "Issuer",
        "photo_alt": "Photo of the card holder, from the ID card",
        "signature_valid": "Issuer signature: valid",
        "signature_invalid": "Issuer signature: NOT valid — do not rely on this data",
        "signature_unchecked": "Issuer signature: not checked",
        "signature_signer": "signer:",
        "working": "Follow the instructions of the ID card helper…",
        "cancel": "Cancel",
        "download_agent": "Download the ID card helper",
        "sign_text": "Sign the document",
    },
    "ar": {
        "title": "بوابة بطاقة التجريبية",
        "switch": "English",
        "intro": "استخدم بطاقة الهوية لتسجيل الدخول وتوقيع مستند وتعبئة نموذج.",
        "login": "تسجيل الدخول بالبطاقة الذكية",
        "logout": "تسجيل الخروج",
        "logged_in_as": "تم تسجيل الدخول باسم",
        "id_number": "رقم الهوية",
        "sign_title": "توقيع ملف PDF",
        "sign_hint": "اختر ملف PDF أو اتركه فارغًا لتوقيع نموذج الطلب التجريبي.",
        "sign": "التوقيع بالبطاقة الذكية",
        "signed": "تم التوقيع. نزّل الملف الموقّع",
        "identity_title": "قراءة بيانات بطاقتي",
        "identity_read": "تعبئة النموذج من بطاقتي",
        "name_en": "الاسم (بالإنجليزية)",
        "name_ar": "الاسم (بالعربية)",
        "nationality": "الجنسية",
        "date_of_birth": "تاريخ الميلاد",
        "card_number": "رقم البطاقة",
        "sex": "الجنس",
        "sex_m": "ذكر",
        "sex_f": "أنثى",
        "sex_x": "غير محدد",
        "date_of_issue": "تاريخ الإصدار",
        "date_of_expiry": "تاريخ الانتهاء",
        "employee_affiliation": "صفة حامل البطاقة",
        "organization_affiliation": "الجهة التابع لها",
        "agency_card_serial": "الرقم التسلسلي للبطاقة",
        "issuer": "جهة الإصدار",
        "photo_alt": "صورة حامل البطاقة من بطاقة الهوية",
        "signature_valid": "توقيع جهة الإصدار: صحيح",
        "signature_invalid": "توقيع جهة الإصدار: غير صحيح — لا تعتمد على هذه البيانات",
        "signature_unchecked": "توقيع جهة الإصدار: لم يتم التحقق منه",
        "signature_signer": "الموقّع:",
        "working": "اتبع تعليمات برنامج البطاقة الذكية…",
        "cancel": "إلغاء",
        "download_agent": "تنزيل برنامج البطاقة الذكية",
        "sign_text": "توقيع المستند",
    },
}

ERRORS: dict[str, dict[str, str]] = {
    "en": {
        "AGENT_UNAVAILABLE": (
            "The ID card helper is not installed or not running. Install it, then try again."
        ),
        "AGENT_VERSION_MISMATCH": "Your ID card helper is too old for this site. Please update it.",
        "LOCAL_NETWORK_ACCESS_DENIED": (
            "Your browser blocked this site from reaching the ID card helper. Allow access to"
            " apps on this device in the site settings, then try again."
        ),
        "CONNECTION_LOST": "The connection to the ID card helper was lost. Try again.",
        "ORIGIN_NOT_ALLOWED": "The ID card helper does not trust this site.",
        "PCSC_UNAVAILABLE": "The smart card service of your computer is not running.",
        "NO_READER": "No card reader is connected. Connect your reader and try again.",
        "NO_CARD": "No card is in the reader. Insert your ID card and try again.",
        "UNKNOWN_CARD": "The card in the reader is not a supported ID card.",
        "CARD_REMOVED": (
            "The card was removed before the operation finished. Insert it and try again."
        ),
        "PIN_INCORRECT": "The PIN was wrong. Tries left: {triesLeft}.",
        "PIN_BLOCKED": "Your PIN is blocked. Unblock it at the card issuer.",
        "USER_CANCELLED": "You cancelled. Nothing was done.",
        "REQUEST_CANCELLED": "The request was cancelled. Nothing was done.",
        "USER_TIMEOUT": "There was no answer in time. Try again.",
        "USER_DENIED": "You did not allow this site to use your card.",
        "RATE_LIMITED": "Too many attempts. Wait a moment and try again.",
        "BUSY": "The card is busy with another request. Try again shortly.",
        "LOGIN_FAILED": "Your card could not be verified. You are not logged in.",
        "default": "Something went wrong. Try again.",
    },
    "ar": {
        "AGENT_UNAVAILABLE": "برنامج البطاقة الذكية غير مثبت أو لا يعمل. ثبّته ثم حاول مرة أخرى.",
        "AGENT_VERSION_MISMATCH": "إصدار برنامج البطاقة الذكية قديم لهذا الموقع. يرجى تحديثه.",
        "LOCAL_NETWORK_ACCESS_DENIED": (
            "منع المتصفح هذا الموقع من الوصول إلى برنامج البطاقة الذكية. اسمح بالوصول إلى "
            "التطبيقات على هذا الجهاز في إعدادات الموقع ثم حاول مرة أخرى."
        ),
        "CONNECTION_LOST": "انقطع الاتصال ببرنامج البطاقة الذكية. حاول مرة أخرى.",
        "ORIGIN_NOT_ALLOWED": "برنامج البطاقة الذكية لا يثق بهذا الموقع.",
        "PCSC_UNAVAILABLE": "خدمة البطاقات الذكية في جهازك لا تعمل.",
        "NO_READER": "لا يوجد قارئ بطاقات متصل. صِل القارئ ثم حاول مرة أخرى.",
        "NO_CARD": "لا توجد بطاقة في القارئ. أدخل بطاقة الهوية ثم حاول مرة أخرى.",
        "UNKNOWN_CARD": "البطاقة الموجودة في القارئ ليست بطاقة هوية مدعومة.",
        "CARD_REMOVED": "أُخرجت البطاقة قبل انتهاء العملية. أدخلها ثم حاول مرة أخرى.",
        "PIN_INCORRECT": "الرقم السري غير صحيح. المحاولات المتبقية: {triesLeft}.",
        "PIN_BLOCKED": "الرقم السري محظور. راجع جهة إصدار البطاقة لفك الحظر.",
        "USER_CANCELLED": "ألغيت العملية. لم يتم تنفيذ أي شيء.",
        "REQUEST_CANCELLED": "أُلغي الطلب. لم يتم تنفيذ أي شيء.",
        "USER_TIMEOUT": "انتهت المهلة دون إجابة. حاول مرة أخرى.",
        "USER_DENIED": "لم تسمح لهذا الموقع باستخدام بطاقتك.",
        "RATE_LIMITED": "محاولات كثيرة. انتظر قليلًا ثم حاول مرة أخرى.",
        "BUSY": "البطاقة مشغولة بطلب آخر. حاول بعد قليل.",
        "LOGIN_FAILED": "تعذر التحقق من بطاقتك. لم يتم تسجيل الدخول.",
        "default": "حدث خطأ. حاول مرة أخرى.",
    },
}


def choose_language(requested: str | None, accept_language: str) -> str:
    """``requested`` if it is a supported language, else the first supported one the browser
    accepts (``Accept-Language``), else Arabic."""
    if requested in LANGUAGES:
        return requested
    for part in accept_language.split(","):
        primary = part.split(";")[0].strip().lower()[:2]
        if primary in LANGUAGES:
            return primary
    return "ar"
