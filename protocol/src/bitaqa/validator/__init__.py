"""Portal-side validation of Bitaqa and Web eID authentication tokens and card signatures."""
