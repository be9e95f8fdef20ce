{#- Every event once: the base of every mart that counts events. Passes
    every column of stg_gharchive__events through, hence select *. -#}
select *  -- noqa: AM04
from {{ ref('stg_gharchive__events') }}
where true
{{ keep_first_copy() }}
