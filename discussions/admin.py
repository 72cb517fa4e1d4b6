"""Django admin for every model: the organizer's escape hatch when a screen is missing."""

from django.contrib import admin

from .models import (
    BreakoutGroup,
    FacilitatorAssignment,
    Invitation,
    ModerationEntry,
    Paper,
    Participant,
    Position,
    Presence,
    Prompt,
    Question,
    Recommendation,
    Section,
    Session,
    SessionPrompt,
    Vote,
)


class SectionInline(admin.TabularInline):
    model = Section
    fields = ["position", "title", "level"]
    extra = 0
    show_change_link = True


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["position", "text", "section", "is_framing"]
    extra = 0


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["title", "lineage", "version", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "lineage", "source_name"]
    readonly_fields = ["sha256", "created_at", "published_at"]
    inlines = [SectionInline, QuestionInline]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "paper", "position", "level"]
    list_filter = ["paper"]
    search_fields = ["title", "text"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "paper", "section", "is_framing", "position"]
    list_filter = ["is_framing", "paper"]
    search_fields = ["text"]


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["__str__", "paper", "kind", "position"]
    list_filter = ["kind", "paper"]
    list_select_related = ["question", "section", "paper"]


class SessionPromptInline(admin.TabularInline):
    model = SessionPrompt
    extra = 0


class BreakoutGroupInline(admin.TabularInline):
    model = BreakoutGroup
    extra = 0


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "paper", "created_at"]
    search_fields = ["name", "code"]
    inlines = [SessionPromptInline, BreakoutGroupInline]


@admin.register(BreakoutGroup)
class BreakoutGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "session", "position"]
    list_filter = ["session"]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["display_name", "session", "group", "joined_at", "removed_at"]
    list_filter = ["session"]
    search_fields = ["display_name"]
    list_select_related = ["session", "group"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "session", "group", "participant", "created_at"]
    list_filter = ["session"]
    search_fields = ["name", "email"]
    list_select_related = ["session", "group", "participant"]
    raw_id_fields = ["participant"]


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ["text", "group", "author", "status", "pinned", "plenary", "created_at"]
    list_filter = ["status", "pinned", "plenary", "group__session"]
    search_fields = ["text"]
    list_select_related = ["group", "author"]
    raw_id_fields = ["author", "merged_into"]


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["participant", "position", "choice", "cast_at"]
    list_filter = ["choice"]
    list_select_related = ["participant", "position"]
    raw_id_fields = ["participant", "position"]


@admin.register(Presence)
class PresenceAdmin(admin.ModelAdmin):
    list_display = ["participant", "group", "channel_name", "last_seen"]
    list_select_related = ["participant", "group"]


@admin.register(FacilitatorAssignment)
class FacilitatorAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "session"]
    list_select_related = ["user", "session"]
    filter_horizontal = ["groups"]


@admin.register(ModerationEntry)
class ModerationEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "session", "group", "actor", "action", "detail"]
    list_filter = ["action", "session"]
    search_fields = ["detail"]
    list_select_related = ["session", "group", "actor"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the log is a record: read it, do not rewrite it


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ["text", "session", "position", "updated_at"]
    list_filter = ["session"]
    filter_horizontal = ["sources"]


@admin.register(SessionPrompt)
class SessionPromptAdmin(admin.ModelAdmin):
    list_display = ["session", "position", "prompt"]
    list_select_related = ["session", "prompt__question", "prompt__section"]
