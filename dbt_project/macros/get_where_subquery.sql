{#- Lets a test look at the run's hours only, so an hourly `dbt build` does
    not scan years of events to test one hour. A test's `where` config may be
      run_window:<column>   rows whose <column> (a timestamp) is in the window
                            and whose created_at is on one of the run's days;
      run_days:<column>     rows whose <column> (a date) is one of the run's days;
      run_months:<column>   rows whose <column> (a month's first day) is one of
                            the months of the run's days.
    Without a window (a plain `dbt build`) such a test looks at every row,
    through a filter on the partitioning column all the same (every_day).
    Any other `where` works as dbt's own. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and where.startswith('run_window:') -%}
        {%- if not has_window() -%}
            {%- set where = every_day('cast(created_at as date)', 'created_at') -%}
        {%- elif has_run_days() -%}
            {#- The run's hours hold rows of the run's days only: that bound on
                created_at lets BigQuery read only those days' partitions. -#}
            {%- set where = in_window(where[11:]) ~ ' and '
                ~ in_run_days('cast(created_at as date)', 'created_at') -%}
        {%- else -%}
            {%- set where = in_window(where[11:]) -%}
        {%- endif -%}
    {%- elif where and where.startswith('run_days:') -%}
        {%- set where = in_days(where[9:]) -%}
    {%- elif where and where.startswith('run_months:') -%}
        {%- set where = in_months(where[11:]) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
