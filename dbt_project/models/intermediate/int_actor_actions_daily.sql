{#- What each actor did on a day, one column per kind of action. Stars and
    forks are kept apart: they are interest, not contributions. -#}
{{ actor_actions_daily() }}
