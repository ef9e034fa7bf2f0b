section_24:
  host: {{ grains['id'] }}
  index: 24
  items:
    - item-24-1
    - item-24-2
    - item-24-3
    - item-24-4
    - item-24-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_24: secret-24-value
