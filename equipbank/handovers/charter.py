"""The charter a beneficiary reads with the relay and accepts when a device is handed over:
printed on the receipt they sign, shown on the handover form."""

from __future__ import annotations

CHARTER: tuple[str, ...] = (
    (
        "Ce matériel vous est donné gratuitement, pour votre usage et celui de votre foyer. "
        "Il ne peut pas être vendu."
    ),
    (
        "Vous en prenez soin : évitez les chocs, les liquides et la chaleur, et utilisez son "
        "chargeur ou son câble d'origine."
    ),
    (
        "Vos données sont à vous : l'appareil a été entièrement effacé avant de vous être remis, "
        "et la Banque du Numérique n'a pas accès à ce que vous y enregistrez. Elle n'en garde rien."
    ),
    (
        "Le rendez-vous avec un conseiller numérique fait partie du don : il vous aide à prendre "
        "en main le matériel et à l'utiliser en sécurité. Si vous ne pouvez pas venir, prévenez "
        "la structure qui vous l'a remis pour fixer une autre date."
    ),
    (
        "Si ce matériel ne vous sert plus, rapportez-le à la structure qui vous l'a remis : il "
        "sera donné à une autre personne ou recyclé. Ne le jetez pas à la poubelle."
    ),
    (
        "En cas de problème (panne, question, perte ou vol), contactez la structure qui vous l'a "
        "remis ou la Banque du Numérique : leurs coordonnées figurent en haut de ce bon."
    ),
)
