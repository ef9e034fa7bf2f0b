section_40:
  host: {{ grains['id'] }}
  index: 40
  items:
    - item-40-1
    - item-40-2
    - item-40-3
    - item-40-4
    - item-40-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_40: secret-40-value
