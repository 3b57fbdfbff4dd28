"""Suitability: risk questionnaires answered by customers online, the C1-C5 assessment, professional investors,
the suitability check against R1-R5 products under two regimes (as data), sales with signed disclosures,
dual recording and compliance review.

models        tables                       definitions  the shape of rules-as-data
defaults      what FinCRM ships (v1)       scoring      answers -> score -> level (pure)
rules         the decision, the sale rules (pure)
facts         what a customer is as an investor
catalogue     products, regimes, sale rules as a check reads them
service       the check, the investor profile, products       links       the customer's door
sales         the sale's steps and cooling-off               disclosures the signed PDF/A document
signing       PAdES with the firm's certificate              recordings  dual recording upload and review
professional  professional-investor classification           questionnaires  administering the rules-as-data
signatures    finger signatures (strokes and image)          otp         the pluggable one-time-code sender
media         audio/video type from the bytes                events, jobs, views, messages, access
"""
