section_5:
  host: {{ grains['id'] }}
  index: 5
  items:
    - item-5-1
    - item-5-2
    - item-5-3
    - item-5-4
    - item-5-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_5: secret-5-value
