section_48:
  host: {{ grains['id'] }}
  index: 48
  items:
    - item-48-1
    - item-48-2
    - item-48-3
    - item-48-4
    - item-48-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_48: secret-48-value
