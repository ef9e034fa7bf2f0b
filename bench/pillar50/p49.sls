section_49:
  host: {{ grains['id'] }}
  index: 49
  items:
    - item-49-1
    - item-49-2
    - item-49-3
    - item-49-4
    - item-49-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_49: secret-49-value
