section_50:
  host: {{ grains['id'] }}
  index: 50
  items:
    - item-50-1
    - item-50-2
    - item-50-3
    - item-50-4
    - item-50-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_50: secret-50-value
