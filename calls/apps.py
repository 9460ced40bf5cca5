from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"

    def ready(self) -> None:
        # Imported here, once the models are loaded (the Django idiom for start-up work).
        from calls import checks  # noqa: F401  (registers the system checks)
        from calls.dialling import campaign_facts_read, campaigns_facts_read
        from calls.outcomes import contacts_out_of_attempts_close
        from campaigns.selectors import campaign_on_facts, campaigns_on_facts
        from campaigns.services import campaign_on_max_attempts_lowered

        # The engine's rule for a live campaign given fewer attempts: campaigns sit below the
        # engine and cannot import it, so campaign_update calls what is registered here.
        campaign_on_max_attempts_lowered(contacts_out_of_attempts_close)
        # Likewise what the campaign API says about dialling, progress and cost.
        campaign_on_facts(campaign_facts_read)
        campaigns_on_facts(campaigns_facts_read)
