section_35:
  host: {{ grains['id'] }}
  index: 35
  items:
    - item-35-1
    - item-35-2
    - item-35-3
    - item-35-4
    - item-35-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_35: secret-35-value
