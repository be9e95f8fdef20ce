{#- Rows matching `rows` whose trimmed field `field` makes `condition` true,
    counted; NULL, never 0, where such rows exist and every one of them lacks
    `field` (GitHub trimmed payloads in October 2025: nothing is known, so
    nothing is counted as none). Where only some lack it, the count of the
    known ones (the mart says beside it how many were unknown). -#}
{% macro known_count(rows, field, condition) -%}
case
    when count(case when {{ rows }} then 1 end) > 0
        and count(case when {{ rows }} and {{ field }} is not null then 1 end) = 0
        then null
    else count(case when {{ rows }} and {{ condition }} then 1 end)
end
{%- endmacro %}
